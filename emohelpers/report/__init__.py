"""Reports: notebook parameters, report sections, HTML export, the index page.

Imports only the layers below.
"""
