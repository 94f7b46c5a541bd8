"""Checks of the 网页标签 (`<meta>` tags) that 发展指引 asks every page to carry."""
