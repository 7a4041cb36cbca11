"""Item pipelines, one per concern, in this order (crawler/settings.py):

validate (100) → store (400: archive.document.store_document in a worker process or thread)

Resources are opened in open_spider and closed in close_spider.
"""
