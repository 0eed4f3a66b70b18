#!/usr/bin/env python3
"""Tests scripts/check-includes itself: on a minimal temporary tree it passes,
and each deliberate violation (an include, a link) makes it fail naming the
file and the include (or the library).  Usage: check_includes_test.py CHECK"""
import os
import subprocess
import sys
import tempfile

CHECK = os.path.abspath(sys.argv[1])
failures = []


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def minimal_tree(root):
    write(root, "base/status.h", '#include <string>\n')
    write(root, "proto/descriptors.h", '#include "base/status.h"\n')
    write(root, "hsm/session.h", '#include "base/status.h"\n#include "proto/descriptors.h"\n')
    write(root, "log/writer.cc", '#include "log/writer.h"\n#include "base/status.h"\n'
          '#include "google/protobuf/io/coded_stream.h"\n#include "writer_impl.h"\n')
    write(root, "policy/gate.h", '#include "base/status.h"\n')
    write(root, "release/outputs.cc", '#include "policy/gate.h"\n#include "log/writer.h"\n')
    write(root, "station/station.cc", '#include "hsm/session.h"\n#include "release/outputs.h"\n')
    write(root, "signer/session.cc", '#include "station/station.h"\n')
    write(root, "ceremonies/transcript.cc", '#include "station/station.h"\n#include "log/writer.h"\n')
    write(root, "cli/main.cc", '#include "signer/session.h"\n#include "ceremonies/transcript.h"\n')
    write(root, "base/CMakeLists.txt", "sr_library(sr_base SOURCES status.cc DEPS OpenSSL::Crypto)\n")
    write(root, "hsm/CMakeLists.txt", "sr_library(sr_hsm\n  SOURCES session.cc\n  DEPS sr_base)\n")
    write(root, "log/CMakeLists.txt", "sr_library(sr_log SOURCES writer.cc DEPS sr_base)\n")
    write(root, "release/CMakeLists.txt",
          "# sr_hsm is not linked here (a comment naming it does not count)\n"
          "sr_library(sr_release\n  SOURCES outputs.cc\n  DEPS sr_base sr_log)\n")
    write(root, "station/CMakeLists.txt", "sr_library(sr_station SOURCES station.cc DEPS sr_hsm sr_release)\n")
    write(root, "audit/replay.cc", '#include "release/outputs.h"\n#include "log/reader.h"\n')
    write(root, "audit/CMakeLists.txt", "sr_library(sr_audit SOURCES replay.cc DEPS sr_release sr_log)\n")


def run(root):
    p = subprocess.run([sys.executable, CHECK, root], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def case(name, edit, expect_ok, must_name=()):
    with tempfile.TemporaryDirectory(prefix="check-includes-") as root:
        minimal_tree(root)
        edit(root)
        rc, out = run(root)
        ok = (rc == 0) == expect_ok and all(s in out for s in must_name)
        print(f"{'ok  ' if ok else 'FAIL'} {name} (exit {rc})")
        if not ok:
            failures.append(name)
            print("  expected to name: " + ", ".join(must_name) + "\n  output:\n" + out)


case("the minimal tree passes", lambda r: None, True, ["layering holds"])
case("log/ including hsm/ fails",
     lambda r: write(r, "log/bad.cc", '#include "base/status.h"\n  #  include "hsm/session.h"\n'),
     False, ['log/bad.cc:2', '#include "hsm/session.h"', "log/ may not include hsm/"])
case("base/ including policy/ fails",
     lambda r: write(r, "base/sub/x.h", '#include "policy/gate.h"\n'),
     False, ['base/sub/x.h:1', '#include "policy/gate.h"'])
case("proto/ including log/ fails",
     lambda r: write(r, "proto/json.cc", '#include "log/writer.h"\n'),
     False, ['proto/json.cc:1', '#include "log/writer.h"'])
case("release/ including station/ fails",
     lambda r: write(r, "release/verify.h", '#include "station/station.h"\n'),
     False, ['release/verify.h:1', '#include "station/station.h"'])
case("station/ including signer/ fails",
     lambda r: write(r, "station/keys.cc", '#include "signer/session.h"\n'),
     False, ['station/keys.cc:1', '#include "signer/session.h"'])
case("ceremonies/ including signer/ fails",
     lambda r: write(r, "ceremonies/runner.cc", '#include "signer/session.h"\n'),
     False, ['ceremonies/runner.cc:1', '#include "signer/session.h"'])
case("station/ including ceremonies/ fails",
     lambda r: write(r, "station/x.cc", '#include "ceremonies/runner.h"\n'),
     False, ['station/x.cc:1', 'station/ may not include ceremonies/'])
case("signer/ including cli/ fails",
     lambda r: write(r, "signer/x.cc", '#include "cli/common.h"\n'),
     False, ['signer/x.cc:1', '#include "cli/common.h"'])
case("ceremonies/ including cli/ fails",
     lambda r: write(r, "ceremonies/x.cc", '#include "cli/common.h"\n'),
     False, ['ceremonies/x.cc:1', '#include "cli/common.h"', "ceremonies/ may not include cli/"])
case("ceremonies/ including signer/ fails",
     lambda r: write(r, "ceremonies/y.cc", '#include "signer/session.h"\n'),
     False, ['ceremonies/y.cc:1', '#include "signer/session.h"'])
case("station/ including ceremonies/ fails",
     lambda r: write(r, "station/z.cc", '#include "ceremonies/transcript.h"\n'),
     False, ['station/z.cc:1', '#include "ceremonies/transcript.h"'])
case("a commented-out include is not an include",
     lambda r: write(r, "log/ok.cc", '// #include "hsm/session.h"\n'), True)
case("release/ linking sr_hsm through sr_log fails",
     lambda r: write(r, "log/CMakeLists.txt", "sr_library(sr_log SOURCES writer.cc DEPS sr_base sr_hsm)\n"),
     False, ["sr_release links sr_hsm", "sr_release -> sr_log -> sr_hsm"])
case("release/ linking sr_station with target_link_libraries fails",
     lambda r: write(r, "release/CMakeLists.txt",
                     "sr_library(sr_release SOURCES outputs.cc DEPS sr_base)\n"
                     "target_link_libraries(sr_release PRIVATE sr_station)\n"),
     False, ["sr_release links sr_station"])
case("audit/ including station/ fails",
     lambda r: write(r, "audit/bad.cc", '#include "station/log_state.h"\n'),
     False, ['audit/bad.cc:1', "audit/ may not include station/"])
case("audit/ including signer/ fails",
     lambda r: write(r, "audit/bad.cc", '#include "signer/evidence_store.h"\n'),
     False, ['audit/bad.cc:1', "audit/ may not include signer/"])
case("station/ including audit/ fails",
     lambda r: write(r, "station/w.cc", '#include "audit/replay.h"\n'),
     False, ['station/w.cc:1', "station/ may not include audit/"])
case("audit/ linking sr_station fails",
     lambda r: write(r, "audit/CMakeLists.txt",
                     "sr_library(sr_audit SOURCES replay.cc DEPS sr_release)\n"
                     "target_link_libraries(sr_audit PRIVATE sr_station)\n"),
     False, ["sr_audit links sr_station", "audit/ may not link sr_station"])

if failures:
    print(f"check_includes_test: {len(failures)} case(s) failed: {', '.join(failures)}")
    sys.exit(1)
print("check_includes_test: all cases passed")
