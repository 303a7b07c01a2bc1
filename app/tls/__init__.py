"""HTTPS that phones trust without the internet: a local authority per hub (authority),
and caddy in front of waitress (caddy). See docs/deploy.md, "Field hub on a local network"."""
