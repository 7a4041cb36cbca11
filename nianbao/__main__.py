import sys

from nianbao.cli import main

if __name__ == "__main__":  # not when a spawned worker process (crawler/pipelines/parse.py) imports it
    sys.exit(main())
