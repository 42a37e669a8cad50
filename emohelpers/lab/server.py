"""The JupyterLab command of `make lab`: loopback only, the emohelpers kernel, offline.

JupyterLab fetches news and update checks from the internet and its extension manager
queries PyPI; `lab_command` turns all three off, so that nothing leaves the machine. The
access token travels in the environment (`JUPYTER_TOKEN`, `lab_environment`), never on the
command line, where `ps` shows it to every user of the machine. Notebooks are saved without
their outputs (`save_hook.strip_outputs`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
from pathlib import Path

from emohelpers.core.atomic import atomic_write
from emohelpers.core.notebooks import notebooks_dir
from emohelpers.core.process_env import child_environment

log = logging.getLogger(__name__)

#: The Jupyter kernel of the project's environment, as notebooks name it.
KERNEL_NAME = "emohelpers"
KERNEL_DISPLAY_NAME = "Python (emohelpers)"

#: JupyterLab options that keep it from requesting anything outside the machine.
OFFLINE_OPTIONS: tuple[str, ...] = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
    "--ServerApp.open_browser=False",
)

#: Options that keep results out of the notebooks the lab saves (autosave included).
SAVE_OPTIONS: tuple[str, ...] = (
    "--ContentsManager.pre_save_hook=emohelpers.lab.save_hook.strip_outputs",
)

#: The environment variable the Jupyter server reads its access token from.
TOKEN_VARIABLE = "JUPYTER_TOKEN"


def kernel_installed(name: str = KERNEL_NAME) -> bool:
    """Whether a Jupyter kernel `name` is registered and runs this Python."""
    # jupyter_client only when the lab starts, not at import
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        argv0 = KernelSpecManager().get_kernel_spec(name).argv[0]
    except NoSuchKernel:
        return False
    return argv0 in ("python", "python3", sys.executable)


def install_kernel() -> Path:
    """Register this Python as the kernel "emohelpers" ("Python (emohelpers)") inside its
    environment (`--sys-prefix`), so that any JupyterLab finds it. Idempotent.

    Returns:
        The kernel's folder.
    """
    from ipykernel.kernelspec import install  # ipykernel only to register the kernel

    return Path(
        install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME, prefix=sys.prefix)
    )


#: JupyterLab settings for this environment: never ask about, fetch or check news and updates.
LAB_SETTINGS: dict[str, dict] = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def install_lab_settings(prefix: str | Path | None = None) -> Path:
    """Write this environment's JupyterLab setting overrides (`LAB_SETTINGS`) into
    `<prefix>/share/jupyter/lab/settings/overrides.json`, keeping other overrides there.

    Args:
        prefix: the environment (default: this Python's `sys.prefix`).

    Returns:
        The overrides file.
    """
    path = Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = json.loads(path.read_text()) if path.is_file() else {}
    for plugin, values in LAB_SETTINGS.items():
        current[plugin] = {**current.get(plugin, {}), **values}
    return atomic_write(path, json.dumps(current, indent=2) + "\n")


def lab_command(
    notebook_dir: str | Path,
    *,
    port: int = 8888,
    ip: str = "127.0.0.1",
) -> list[str]:
    """The command line that starts JupyterLab on `notebook_dir`, loopback and offline, its
    notebooks saved without outputs. It holds no token: run it with `lab_environment`.

    Args:
        notebook_dir: the folder JupyterLab opens (its file browser's root).
        port: TCP port; JupyterLab takes the next free one when it is busy.
        ip: the interface it listens on; loopback by default (reach it from elsewhere with
            an SSH tunnel rather than by opening it to the network).

    Returns:
        argv for `subprocess` (this Python's `-m jupyterlab`).
    """
    # Containers and CI machines often run as root; the server refuses root without this.
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        str(notebook_dir),
        f"--ip={ip}",
        f"--port={port}",
        *OFFLINE_OPTIONS,
        *SAVE_OPTIONS,
        *as_root,
    ]


def lab_environment(token: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment to run `lab_command` in: `base` (default: this process's) with the run
    environment and the access token, which the environment keeps from other users' `ps`.

    Args:
        token: the access token; a URL without it is refused.
        base: the environment to start from.

    Returns:
        A new environment for `subprocess` or `os.execve`.
    """
    return {**child_environment(base), TOKEN_VARIABLE: token}


def main(argv: list[str] | None = None) -> int:
    """`python -m emohelpers.lab [NOTEBOOK_DIR] [--port N]`: register the kernel if needed,
    then run JupyterLab in the foreground (it prints its URL with the token)."""
    parser = argparse.ArgumentParser(prog="python -m emohelpers.lab", description=main.__doc__)
    parser.add_argument(
        "notebook_dir",
        nargs="?",
        type=Path,
        default=None,
        help="folder to open (default: the package's notebooks, notebooks/ in a source tree)",
    )
    parser.add_argument("--port", type=int, default=8888)
    args = parser.parse_args(argv)
    notebook_dir = args.notebook_dir or notebooks_dir()
    if not kernel_installed():
        install_kernel()
    install_lab_settings()
    cmd = lab_command(notebook_dir, port=args.port)
    token = secrets.token_hex(16)
    sys.stderr.write(
        f"[lab] JupyterLab on {notebook_dir}: http://127.0.0.1:{args.port}/lab?token={token}"
        " (the port may move to the next free one: the log below shows the URL)\n"
    )
    os.execve(cmd[0], cmd, lab_environment(token))  # its kernels' analyses need `RUN_ENV`
    return 0  # not reached
