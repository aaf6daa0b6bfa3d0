"""Municipalities (市区町村): the resident registry (住民基本台帳), one organisation each."""
