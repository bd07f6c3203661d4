"""The app shell: the routes that frame every domain (home, offline page, service worker,
manifest, static files, language, health). The top of the import graph: it may read any
domain, and nothing imports it but the app."""
