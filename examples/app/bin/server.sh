#!/bin/sh
# Serves the static site with busybox httpd in the foreground.
exec httpd -f -v -p "${PORT:-8080}" -h /srv/app/public
