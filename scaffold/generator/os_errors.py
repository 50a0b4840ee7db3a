"""Refused writes, described: one WriteError whose hint names the fix for each errno."""

from __future__ import annotations

import errno
import os
import re
import shutil
from typing import Final

from scaffold.errors import WriteError

_SPACE_HINT: Final = "free some disk space or choose a destination on another disk"
_OS_HINTS: Final = {
    errno.ENOSPC: _SPACE_HINT,
    errno.EDQUOT: _SPACE_HINT,
    errno.EACCES: "check the folder's permissions, or choose another destination",
    errno.EPERM: "check the folder's permissions, or choose another destination",
    errno.EROFS: "that file system is read-only: choose a destination on a writable disk",
    errno.ENAMETOOLONG: "choose a shorter destination path",
    errno.ENOTDIR: "a file stands where a folder is needed: choose another destination",
    errno.ELOOP: "a symbolic link loops: choose another destination",
}


def os_error(err: OSError, *, doing: str) -> WriteError:
    """Describe a refused write as an error whose hint names the fix."""
    code, reason, filename = err.errno, err.strerror or str(err), err.filename
    if isinstance(err, shutil.Error) and err.args and isinstance(err.args[0], list):
        # copytree gathers (source, target, "[Errno N] ...") for every file it failed to copy
        _, filename, why = err.args[0][0]
        found = re.match(r"\[Errno (\d+)\]", str(why))
        code = int(found.group(1)) if found else None
        reason = os.strerror(code) if code is not None else str(why)
    where = f" ({filename})" if filename else ""
    hint = _OS_HINTS.get(code or 0, "check the destination's disk and permissions")
    return WriteError(f"cannot {doing}: {reason}{where}", hint=hint)
