"""What every page shares: rendering, static assets, security headers, errors, the app shell."""
