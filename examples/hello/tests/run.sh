#!/bin/sh
# Runs the hello binary against expected outputs and writes a JUnit report to report.xml.
set -u
bin=${1:-build/hello}
pass=0; fail=0; cases=""
check() {
  name=$1; expected=$2; shift 2
  actual=$("$bin" "$@" 2>/dev/null)
  if [ "$actual" = "$expected" ]; then
    pass=$((pass + 1)); cases="$cases<testcase classname=\"hello\" name=\"$name\"/>"
    echo "ok   $name"
  else
    fail=$((fail + 1)); cases="$cases<testcase classname=\"hello\" name=\"$name\"><failure message=\"got $actual\"/></testcase>"
    echo "FAIL $name: expected '$expected', got '$actual'"
  fi
}
check default "Hello, kiln!"
check named "Hello, world!" world
check spaces "Hello, a b!" "a b"
printf '<?xml version="1.0"?>\n<testsuite name="hello" tests="%d" failures="%d">%s</testsuite>\n' \
  $((pass + fail)) "$fail" "$cases" > report.xml
[ "$fail" -eq 0 ]
