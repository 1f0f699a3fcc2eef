"""The component as a platform team meets it: a typed library that feels native."""

from __future__ import annotations
