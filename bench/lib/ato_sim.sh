# shellcheck shell=bash
# Sourced by the benchmark scripts that run ato-sim (sim, sim-instructions, e2e, loadtest).
# ato-sim writes ready.json and its service key into the folder of --ready-file.

# json_field FILE KEY.PATH: one value of a JSON file, e.g. json_field ready.json alm_url, or
# json_field ready.json tenants.0.feed_url (a number indexes a list).
json_field() {
  /usr/bin/python3 -c "import json,sys;d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)" "$1" "$2"
}

# sim_token DIR: a bearer token from the simulator whose ready file is DIR/ready.json, obtained
# with its service key's client credentials, as a bridge would.
sim_token() {
  local key="$1/ato-sim-service-key.json"
  curl -sS --max-time 30 -u "$(json_field "$key" uaa.clientid):$(json_field "$key" uaa.clientsecret)" \
    -d grant_type=client_credentials "$(json_field "$1/ready.json" alm_url)/oauth/token" |
    /usr/bin/python3 -c "import json,sys;print(json.load(sys.stdin)['access_token'])"
}
