"""Scrapy extensions: per-site status in the archive, live progress."""
