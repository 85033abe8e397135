#!/usr/bin/env bash
# The docs check: `bash scripts/check-docs.sh [FILE.md...]` (scripts/test.sh runs it).
#
# Checks README.md, docs/*.md and dashboards/README.md (or the files given) for what renders
# wrong on GitHub without any error:
# 1. Tables: the header, the separator (|---|) and every row have the same number of cells. A
#    cell ends at every unescaped `|`, inside backticks too (GitHub splits there: write `\|`).
# 2. No table row without a table: a blank line inside a table ends it, and the rows after it
#    render as stray pipes. Text right under a table (no blank line) becomes one more row.
# 3. Relative links `[text](path)`, `[text](path#anchor)` and `[text](#anchor)` point to a file
#    that exists, and an anchor into a Markdown file to one of its headings (GitHub's slugs:
#    lower case, punctuation dropped, spaces to hyphens, -1, -2... for repeats; non-ASCII
#    letters in headings are not supported here).
# Fenced code blocks and code spans are skipped. Prints FILE:LINE: problem, exits 1 on any.
# Needs only bash and a POSIX awk (mawk or gawk).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

if [ $# -eq 0 ]; then
  set -- README.md
  for f in docs/*.md dashboards/README.md; do [ -f "$f" ] && set -- "$@" "$f"; done
fi

awk '
function fail(msg) { printf "%s:%d: %s\n", FILENAME, FNR, msg; errors++ }

# The line with code spans blanked out (same length), so that links inside them are not seen.
function strip_code(s,    out, i, c, n, ticks, j) {
  out = ""; i = 1; n = length(s)
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == "\\") { out = out substr(s, i, 2); i += 2; continue }
    if (c != "`") { out = out c; i++; continue }
    ticks = 0
    while (substr(s, i + ticks, 1) == "`") ticks++
    j = index(substr(s, i + ticks), substr(s, i, ticks))
    if (j == 0) { out = out substr(s, i, ticks); i += ticks; continue }
    out = out sprintf("%" (2 * ticks + j - 1) "s", "")
    i += 2 * ticks + j - 1
  }
  return out
}

# Cells of a table row: split at every unescaped pipe (GitHub does so inside code spans too).
# Sets in_code_pipe when such a pipe sat inside backticks.
function count_cells(s,    i, c, n, cells, code, ticks, k) {
  sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s)
  if (substr(s, 1, 1) == "|") s = substr(s, 2)
  if (s ~ /[^\\]\|$/ || s == "|") s = substr(s, 1, length(s) - 1)
  cells = 1; code = 0; in_code_pipe = 0; n = length(s); i = 1
  while (i <= n) {
    c = substr(s, i, 1)
    if (c == "\\") { i += 2; continue }
    if (c == "`") {
      ticks = 0
      while (substr(s, i + ticks, 1) == "`") ticks++
      if (code == 0) { k = index(substr(s, i + ticks), substr(s, i, ticks)); if (k > 0) code = ticks }
      else if (code == ticks) code = 0
      i += ticks; continue
    }
    if (c == "|") { cells++; if (code) in_code_pipe = 1 }
    i++
  }
  return cells
}

function is_separator(s) {
  return s ~ /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/ && s ~ /\|/
}

function is_row(s) { return s ~ /^ ? ? ?\|/ }

# GitHub heading anchor of a heading text.
function slug(s) {
  s = tolower(s)
  gsub(/[^a-z0-9 _-]/, "", s)
  gsub(/ /, "-", s)
  return s
}

# Loads the heading anchors of a Markdown file into anchors[path, anchor].
function load_anchors(path,    line, fence, text, base, seen, ok) {
  if ((path, "") in anchors) return
  anchors[path, ""] = 1
  fence = ""
  while ((ok = (getline line < path)) > 0) {
    if (fence != "") { if (line ~ ("^ ? ? ?" fence)) fence = ""; continue }
    if (line ~ /^ ? ? ?(```|~~~)/) { fence = substr(line, match(line, /[`~]/), 3); continue }
    if (line !~ /^ ? ? ?##?#?#?#?#?[ \t]/) continue
    text = line
    sub(/^ *#+[ \t]+/, "", text); sub(/[ \t]+#+[ \t]*$/, "", text); sub(/[ \t]+$/, "", text)
    base = slug(text)
    if ((path, "#count", base) in anchors) {
      anchors[path, "#count", base]++
      anchors[path, base "-" anchors[path, "#count", base]] = 1
    } else {
      anchors[path, "#count", base] = 0
      anchors[path, base] = 1
    }
  }
  close(path)
}

function dir_of(path) { return (path ~ /\//) ? substr(path, 1, match(path, /\/[^\/]*$/)) : "" }

function exists(path,    q) {
  q = path; gsub(/\x27/, "\x27\\\x27\x27", q)
  return system("test -e \x27" q "\x27") == 0
}

function check_link(target,    path, anchor, h, full) {
  sub(/^<|>$/, "", target)
  sub(/[ \t]+("[^"]*"|\x27[^\x27]*\x27)$/, "", target)
  if (target ~ /^[a-zA-Z][a-zA-Z0-9+.-]*:/) return   # https:, mailto:, ...
  h = index(target, "#")
  if (h > 0) { path = substr(target, 1, h - 1); anchor = substr(target, h + 1) }
  else { path = target; anchor = "" }
  full = (path == "") ? FILENAME : dir_of(FILENAME) path
  if (path != "" && !exists(full)) { fail("link to a missing file: " target); return }
  if (anchor != "" && full ~ /\.md$/) {
    load_anchors(full)
    if (!((full, anchor) in anchors)) fail("link to a missing heading: " target)
  }
}

function fail_at(file, lineno, msg) { printf "%s:%d: %s\n", file, lineno, msg; errors++ }

function flush_pending() {
  if (pending) fail_at(pending_file, pending_line, "table row without a header and separator (a blank line inside a table splits it)")
  pending = 0
}

FNR == 1 { flush_pending(); fence = ""; table = 0; stray = 0 }

{
  line = $0
  if (fence != "") { if (line ~ ("^ ? ? ?" fence)) fence = ""; next }
  if (line ~ /^ ? ? ?(```|~~~)/) { flush_pending(); fence = substr(line, match(line, /[`~]/), 3); table = 0; stray = 0; next }

  # Tables. A row outside a table is held until the next line says whether it is a header.
  if (table) {
    if (line ~ /^[ \t]*$/) table = 0
    else if (!is_row(line)) {
      # Headings, fences, HTML, quotes and lists end a table; plain text becomes a row.
      if (line !~ /^ ? ? ?([#<>*+-]|[0-9]+[.)])/) fail("text right under a table becomes a row of it: leave a blank line")
      table = 0
    }
    else {
      n = count_cells(line)
      if (n != columns) fail("table row has " n " cells, the header " columns (in_code_pipe ? " (escape a | inside backticks as \\|)" : ""))
    }
  } else if (pending && is_separator(line)) {
    pending = 0
    table = 1
    n = count_cells(line)
    if (n != columns) fail("table separator has " n " cells, the header " columns (header_pipe ? " (escape a | inside backticks as \\|)" : ""))
  } else if (pending) {
    flush_pending()
    stray = is_row(line)
  } else if (is_row(line)) {
    if (!stray) {
      pending = 1; pending_file = FILENAME; pending_line = FNR
      columns = count_cells(line); header_pipe = in_code_pipe
    }
  } else stray = 0

  # Links (inline and reference definitions), outside code spans.
  rest = strip_code(line)
  while (match(rest, /\]\([^)]*\)/)) {
    check_link(substr(rest, RSTART + 2, RLENGTH - 3))
    rest = substr(rest, RSTART + RLENGTH)
  }
  rest = strip_code(line)
  if (match(rest, /^ ? ? ?\[[^]]+\]:[ \t]+[^ \t]+/)) {
    t = rest; sub(/^ ? ? ?\[[^]]+\]:[ \t]+/, "", t); sub(/[ \t].*$/, "", t)
    check_link(t)
  }
}

END { flush_pending(); if (errors) { printf "check-docs: %d problem(s)\n", errors; exit 1 } }
' "$@"
