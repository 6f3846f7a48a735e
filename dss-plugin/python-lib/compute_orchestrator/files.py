"""Files the plugin writes for others to read: kubeconfigs."""

import json
import os
import tempfile


def write_private_json(path, document):
    """Replaces the file at once (a reader sees the old or the new content, never half of it), mode 0600."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".%s-" % os.path.basename(path))
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(document, file)
        os.replace(temporary, path)
    except BaseException:
        os.remove(temporary)
        raise
