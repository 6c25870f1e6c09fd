# database.sh — a libpq URL handed to PostgreSQL's command-line tools. Source it.
#
# A program's command line is readable by every user of the host (ps), its environment only by
# its own user: pg_url_without_password URL sets PG_URL to URL without its password (user:password@
# or ?password=) and exports the password, if any, as PGPASSWORD, which libpq reads when the
# URL has none. A string that is not a postgresql:// URL is left as it is.
pg_url_without_password() {
  local out
  out=$(python3 - "$1" <<'PY'
import sys
import urllib.parse as up

url = sys.argv[1]
parts = up.urlsplit(url)
if parts.scheme not in ("postgresql", "postgres"):
    print("")
    print(url)
    sys.exit()
password = ""
netloc = parts.netloc
if "@" in netloc:
    userinfo, hosts = netloc.rsplit("@", 1)
    user, colon, secret = userinfo.partition(":")
    if colon:
        password, netloc = up.unquote(secret), (user + "@" if user else "") + hosts
query = []  # as written (libpq decodes %XX only, not +)
for item in parts.query.split("&") if parts.query else []:
    if item.partition("=")[0] == "password":
        password = up.unquote(item.partition("=")[2])
    else:
        query.append(item)
print(password)
print(up.urlunsplit(parts._replace(netloc=netloc, query="&".join(query))))
PY
) || return 1
  local password=${out%%$'\n'*}
  PG_URL=${out#*$'\n'}
  if [ -n "$password" ]; then export PGPASSWORD=$password; fi
}
