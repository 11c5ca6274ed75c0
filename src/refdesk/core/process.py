"""This server process's identity, used to tell its connections from other processes'."""

from __future__ import annotations

import os
import secrets
import socket

PROCESS_ID = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
