# Renders Home Assistant value templates as HA does for an MQTT entity
# (value_json is the parsed payload), with plain Jinja2: the templates
# fuseguard announces use nothing HA adds. StrictUndefined makes a key that
# is not in the payload an error instead of an empty string.
#   python3 ha_render.py cases.json  ->  a JSON list of the rendered values
import json
import sys

import jinja2

env = jinja2.Environment(undefined=jinja2.StrictUndefined)
with open(sys.argv[1]) as f:
    cases = json.load(f)
rendered = []
for case in cases:
    payload = case["payload"]
    template = env.from_string(case["template"])
    rendered.append(template.render(value=payload, value_json=json.loads(payload)).strip())
json.dump(rendered, sys.stdout)
