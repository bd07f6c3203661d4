"""The directory's pages and tools: the look-up pages (areas, places, people, QR sheets), the
administrator's forms, the CSV import and the first admin.

They sit above `auth` (guards, passwords, device sessions), which is itself built on the
directory's tables and services; `server/directory/` stays below both.
"""
