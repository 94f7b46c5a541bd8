"""Archived pages (归档页面): the visible 已归档 label and its archive time."""
