#!/bin/bash
result=$(/usr/local/lib/demo/check-db)
esc() { local s=${1//&/&amp;}; s=${s//</&lt;}; printf '%s' "${s//>/&gt;}"; }
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!doctype html>\n<html><head><title>Warren demo</title></head><body>\n<h1>Warren demo app</h1>\n<pre id="status">%s</pre>\n</body></html>\n' "$(esc "$result")"
