"""DSS's backend calls, as far as the plugin makes them."""

import json

from .._state import resolve


def backend_json_call(path, data=None, err_msg=None, **kwargs):
    if path == "plugins/get-resolved-settings":
        return {"config": resolve(json.loads(data["elementConfig"])), "pluginConfig": {}}
    raise NotImplementedError("the dataiku stand-in has no backend call %s" % path)
