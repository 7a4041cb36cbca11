"""Item pipelines, one per concern, in this order (crawler/settings.py):

validate (100) → dedupe (200) → snapshot (300) → parse (400) → archive (500)

Resources are opened in open_spider and closed in close_spider.
"""
