"""Where photo bytes live: a folder on this host (the default), or an S3-compatible object
store shared by every host (MinIO, Ceph, Aliyun OSS, AWS), chosen by settings.

Both hold named blobs and nothing else: what a name means (a whole photo, a part of an
upload) is the media store's business (`storage.py`). Every write is whole and atomic: a
reader sees a blob complete or not at all."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Blob:
    name: str
    size: int
    #: when it was last written (seconds since the epoch)
    modified: float


class Blobs(Protocol):
    def read(self, name: str) -> bytes | None: ...

    def size(self, name: str) -> int | None: ...

    def write(self, name: str, data: bytes) -> None: ...

    def delete(self, name: str) -> None: ...

    def listing(self, prefix: str) -> list[Blob]:
        """The blobs whose names start with `prefix`, by name."""
        ...

    def local_path(self, name: str) -> Path | None:
        """A file a web server can send as it is, where there is one."""
        ...

    def sub(self, prefix: str) -> Blobs:
        """The same place, under a prefix (the tip-offs' original photos)."""
        ...


class FolderBlobs:
    """Blobs as files under one folder; a name's slashes are folders."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def sub(self, prefix: str) -> FolderBlobs:
        return FolderBlobs(self.root / prefix.strip("/"))

    def _file(self, name: str) -> Path:
        return self.root / name

    def read(self, name: str) -> bytes | None:
        try:
            return self._file(name).read_bytes()
        except FileNotFoundError:
            return None

    def size(self, name: str) -> int | None:
        try:
            return self._file(name).stat().st_size
        except FileNotFoundError:
            return None

    def write(self, name: str, data: bytes) -> None:
        final = self._file(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}")
        with temp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)  # atomic: whole or absent

    def delete(self, name: str) -> None:
        self._file(name).unlink(missing_ok=True)
        parent = self._file(name).parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def listing(self, prefix: str) -> list[Blob]:
        folder = prefix.rpartition("/")[0]
        base = self.root / folder if folder else self.root
        if not base.is_dir():
            return []
        found = []
        for path in base.rglob("*"):
            name = path.relative_to(self.root).as_posix()
            if not name.startswith(prefix) or path.name.startswith("."):
                continue
            try:
                if path.is_file():
                    stat = path.stat()
                    found.append(Blob(name, stat.st_size, stat.st_mtime))
            except FileNotFoundError:
                continue  # removed meanwhile
        return sorted(found, key=lambda b: b.name)

    def local_path(self, name: str) -> Path | None:
        path = self._file(name)
        return path if path.is_file() else None


class S3Blobs:
    """Blobs as objects of one bucket, under a prefix (several stores may share a bucket)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(
        cls, endpoint: str, bucket: str, key_id: str, secret: str, region: str, prefix: str = ""
    ) -> S3Blobs:
        import boto3  # only where an object store is configured
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=endpoint or None,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            region_name=region,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                # path-style works with MinIO and Ceph behind one host name
                s3={"addressing_style": "path"},
            ),
        )
        return cls(client, bucket, prefix)

    def sub(self, prefix: str) -> S3Blobs:
        return S3Blobs(self.client, self.bucket, self.prefix + prefix)

    def _found(self, call: Any, name: str) -> Any:
        """`call` on the object named `name`; None when there is no such object."""
        try:
            return call(Bucket=self.bucket, Key=self.prefix + name)
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, name: str) -> bytes | None:
        answer = self._found(self.client.get_object, name)
        return None if answer is None else answer["Body"].read()

    def size(self, name: str) -> int | None:
        answer = self._found(self.client.head_object, name)
        return None if answer is None else int(answer["ContentLength"])

    def write(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def listing(self, prefix: str) -> list[Blob]:
        found = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                found.append(
                    Blob(
                        item["Key"][len(self.prefix) :],
                        int(item["Size"]),
                        item["LastModified"].timestamp(),
                    )
                )
        return sorted(found, key=lambda b: b.name)

    def local_path(self, name: str) -> Path | None:
        return None
