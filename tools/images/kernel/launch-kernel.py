#!/usr/bin/python3
"""The kernel image's entrypoint: Enterprise Gateway's kernel launch protocol (launcher version 1)
around an IPython kernel that runs in this very process.

The gateway starts the pod with its response address and public key in the environment. This
launcher picks the kernel's ports, sends the connection info back encrypted to that key, answers
the gateway's signal and shutdown requests on one more port, and then becomes the kernel, so that
the pid it reported is the one that an interrupt reaches.
"""
import base64
import importlib
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import uuid

from Cryptodome.Cipher import AES, PKCS1_v1_5
from Cryptodome.PublicKey import RSA
from Cryptodome.Random import get_random_bytes
from Cryptodome.Util.Padding import pad
from jupyter_client.connect import write_connection_file

LAUNCHER_VERSION = 1
DEFAULT_KERNEL_CLASS = "ipykernel.ipkernel.IPythonKernel"
# The kernel binds every interface: the gateway reaches it through the pod's IP.
KERNEL_IP = "0.0.0.0"
# A pod can start before the gateway listens on its response address, and the gateway waits
# far longer than this for the connection info.
CONNECT_PATIENCE_SECONDS = 10
# A peer that connects to the comm port and sends nothing must not hold up the next request.
REQUEST_TIMEOUT_SECONDS = 5

log = logging.getLogger("launch-kernel")


class InputError(Exception):
    """The launch's environment is wrong: a one-line message that names the variable."""


class LaunchError(Exception):
    """The launch could not go on (no free port, the gateway out of reach)."""


def setting(names, default=None):
    """The first of names that is set; the gateway's older EG_ names are the fallbacks."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    if default is None:
        also = f" (or {', '.join(names[1:])})" if len(names) > 1 else ""
        raise InputError(f"{names[0]}{also} is not set: the gateway sets it when it starts the kernel")
    return default


def response_address():
    value = setting(["RESPONSE_ADDRESS", "EG_RESPONSE_ADDRESS"])
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"RESPONSE_ADDRESS '{value}' is not <ip>:<port>")
    return host.strip("[]"), int(port)


def public_key():
    value = setting(["PUBLIC_KEY", "EG_PUBLIC_KEY"])
    try:
        key = RSA.import_key(base64.b64decode(value, validate=True))
    except (ValueError, IndexError, TypeError) as error:
        raise InputError(f"PUBLIC_KEY is not the base64 of an RSA public key in DER: {error}") from None
    if key.has_private():
        raise InputError("PUBLIC_KEY holds a private key: the gateway must send only its public key")
    return key


def port_range():
    value = setting(["PORT_RANGE", "EG_PORT_RANGE"], default="0..0")
    match = re.fullmatch(r"(\d+)\.\.(\d+)", value)
    if match:
        lower, upper = int(match[1]), int(match[2])
        if lower == upper == 0 or 0 < lower <= upper < 65536:
            return lower, upper
    raise InputError(f"PORT_RANGE '{value}' is not <lower>..<upper> within 1..65535, nor 0..0 for any port")


def kernel_language():
    value = setting(["KERNEL_LANGUAGE"])
    if value.lower() != "python":
        raise InputError(f"KERNEL_LANGUAGE '{value}' is not supported: this image runs python kernels only")


def spark_mode():
    value = setting(["KERNEL_SPARK_CONTEXT_INIT_MODE"], default="none").lower()
    if value not in ("none", "lazy", "eager"):
        raise InputError(f"KERNEL_SPARK_CONTEXT_INIT_MODE '{value}' is not one of none, lazy, eager")
    return value


def kernel_class():
    name = setting(["KERNEL_CLASS_NAME"], default=DEFAULT_KERNEL_CLASS)
    module, _, attribute = name.rpartition(".")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise InputError(f"KERNEL_CLASS_NAME '{name}' cannot be imported: {error}") from None


def bind_free_ports(count, lower, upper):
    """count sockets bound to distinct free ports within lower..upper (any port for 0..0)."""
    candidates = [0] * count if upper == 0 else random.sample(range(lower, upper + 1), upper - lower + 1)
    sockets = []
    for port in candidates:
        candidate = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            candidate.bind((KERNEL_IP, port))
        except OSError:
            candidate.close()
            continue
        sockets.append(candidate)
        if len(sockets) == count:
            return sockets
    for bound in sockets:
        bound.close()
    raise LaunchError(f"fewer than {count} free ports in PORT_RANGE {lower}..{upper}")


def encrypted_payload(connection_info, key):
    """Launcher version 1's payload: the connection info under a fresh AES key, and that key
    under the gateway's RSA key."""
    aes_key = get_random_bytes(16)
    sealed_info = AES.new(aes_key, AES.MODE_ECB).encrypt(pad(json.dumps(connection_info).encode(), 16))
    sealed_key = PKCS1_v1_5.new(key).encrypt(aes_key)
    payload = {
        "version": LAUNCHER_VERSION,
        "key": base64.b64encode(sealed_key).decode(),
        "conn_info": base64.b64encode(sealed_info).decode(),
    }
    return base64.b64encode(json.dumps(payload).encode())


def send_to_gateway(address, payload):
    deadline = time.monotonic() + CONNECT_PATIENCE_SECONDS
    while True:
        try:
            with socket.create_connection(address, timeout=REQUEST_TIMEOUT_SECONDS) as gateway:
                gateway.sendall(payload)
            return
        except OSError as error:
            if time.monotonic() >= deadline:
                raise LaunchError(
                    f"could not send the connection info to the gateway at {address[0]}:{address[1]} "
                    f"within {CONNECT_PATIENCE_SECONDS} s: {error}"
                ) from None
            time.sleep(0.5)


# Enterprise Gateway's Spark kernels have these names in their namespace.
SPARK_NAMES = {"spark": lambda session: session, "sc": lambda session: session.sparkContext, "sql": lambda session: session.sql}


class Spark:
    """The Spark session that KERNEL_SPARK_CONTEXT_INIT_MODE lazy or eager asks for."""

    def __init__(self, session_class, mode, namespace):
        self.session = None
        self.ready = threading.Event()
        namespace.update({name: Pending(name, self) for name in SPARK_NAMES})
        if mode == "eager":
            self.start(session_class, namespace)
        else:
            # Lazy: the kernel answers at once and a first use of a name waits for the session.
            threading.Thread(target=self.start, args=(session_class, namespace), name="spark", daemon=True).start()

    def start(self, session_class, namespace):
        try:
            self.session = session_class.builder.getOrCreate()
            namespace.update({name: get(self.session) for name, get in SPARK_NAMES.items()})
            log.info("Spark session ready")
        except Exception:
            log.exception("the Spark session failed to start: the kernel runs without it")
        finally:
            self.ready.set()

    def cancel_jobs(self):
        """An interrupt stops the cell's Spark jobs too, not only the Python code that waits on them."""
        if self.session is not None:
            self.session.sparkContext.cancelAllJobs()


class Pending:
    """Stands for one of Spark's names until the session is ready."""

    def __init__(self, name, spark):
        self._name = name
        self._spark = spark

    def _target(self):
        self._spark.ready.wait()
        if self._spark.session is None:
            raise RuntimeError(f"'{self._name}' is not available: the Spark session failed to start (see the kernel's log)")
        return SPARK_NAMES[self._name](self._spark.session)

    def __getattr__(self, attribute):
        # IPython probes objects for display and completion hooks: those must not wait.
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self._target(), attribute)

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)


def spark_session(mode, namespace):
    if mode == "none":
        return None
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        log.info("KERNEL_SPARK_CONTEXT_INIT_MODE is %s but pyspark is not installed: no Spark context is made", mode)
        return None
    return Spark(SparkSession, mode, namespace)


def serve_gateway_requests(listener, spark, shut_down):
    """The gateway's requests on the comm port, one JSON object per connection: {"signum": N}
    signals the kernel (0 is the gateway's liveness poll), {"shutdown": 1} ends it."""
    while True:
        try:
            connection, peer = listener.accept()
            with connection:
                connection.settimeout(REQUEST_TIMEOUT_SECONDS)
                received = b""
                while chunk := connection.recv(4096):
                    received += chunk
            request = json.loads(received)
            signum = int(request.get("signum", -1))
            if signum > 0:
                log.info("signal %d from the gateway", signum)
            if signum >= 0:
                os.kill(os.getpid(), signum)
            if signum == signal.SIGINT and spark is not None:
                spark.cancel_jobs()
            if request.get("shutdown"):
                log.info("shutdown requested by the gateway")
                shut_down()
        # Whatever one request does wrong, the kernel must stay interruptible.
        except Exception as error:
            log.warning("ignored a request on the comm port: %s", error)


def main():
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="[%(levelname).1s %(asctime)s %(name)s] %(message)s"
    )
    if len(sys.argv) > 1:
        print("launch-kernel: takes no arguments; its inputs are environment variables", file=sys.stderr)
        return 2
    try:
        kernel_language()
        kernel_id = setting(["KERNEL_ID"])
        address = response_address()
        key = public_key()
        lower, upper = port_range()
        mode = spark_mode()
        kernel = kernel_class()
    except InputError as error:
        print(f"launch-kernel: {error}", file=sys.stderr)
        return 2

    # The connection file holds the kernel's signing key: it lives in a directory of this
    # process's own, removed on the way out. Any uid may run the image, and where HOME is not
    # writable IPython would warn and leave a temporary profile behind: it goes there too.
    private = tempfile.mkdtemp(prefix="kernel-")
    if "IPYTHONDIR" not in os.environ and not os.access(os.path.expanduser("~"), os.W_OK):
        os.environ["IPYTHONDIR"] = os.path.join(private, "ipython")

    def shut_down():
        # The gateway asks only once it has shut the kernel down over the control channel, or
        # given up on it: nothing is left to save, and a cell still running must not keep the
        # pod alive.
        shutil.rmtree(private, ignore_errors=True)
        logging.shutdown()
        os._exit(0)

    try:
        sockets = bind_free_ports(6, lower, upper)
        comm = sockets.pop()
        ports = [bound.getsockname()[1] for bound in sockets]
        # Held until now so that no two are the same port; the kernel binds them in a moment.
        for bound in sockets:
            bound.close()
        connection_file = os.path.join(private, f"kernel-{kernel_id}.json")
        _, connection_info = write_connection_file(
            connection_file,
            ip=KERNEL_IP,
            key=str(uuid.uuid4()).encode(),
            transport="tcp",
            signature_scheme="hmac-sha256",
            shell_port=ports[0],
            iopub_port=ports[1],
            stdin_port=ports[2],
            hb_port=ports[3],
            control_port=ports[4],
        )
        comm_port = comm.getsockname()[1]
        connection_info.update(pid=os.getpid(), pgid=os.getpgrp(), comm_port=comm_port, kernel_id=kernel_id)
        # The gateway may poll the comm port as soon as it has the connection info: until the
        # listener thread runs, its connections wait in the backlog rather than being refused.
        comm.listen()
        send_to_gateway(address, encrypted_payload(connection_info, key))
        log.info(
            "kernel %s: connection info sent to %s:%d; ports %s, comm port %d, pid %d",
            kernel_id, *address, ", ".join(map(str, ports)), comm_port, os.getpid(),
        )

        namespace = {}
        spark = spark_session(mode, namespace)
        threading.Thread(
            target=serve_gateway_requests, args=(comm, spark, shut_down), name="comm-port", daemon=True
        ).start()

        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance(kernel_class=kernel, connection_file=connection_file, ip=KERNEL_IP, user_ns=namespace)
        app.initialize([])
        app.start()
        return 0
    except LaunchError as error:
        print(f"launch-kernel: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
