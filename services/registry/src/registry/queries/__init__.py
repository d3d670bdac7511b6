"""Queries of the book: by code, by holder, by location, with 查询留痕."""
