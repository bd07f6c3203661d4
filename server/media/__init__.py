"""Photos: content-addressed storage, resumable chunked uploads verified by SHA-256."""
