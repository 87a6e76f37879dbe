#!/usr/bin/env python3
"""Writes a C++ source file that holds a file's bytes: embed.py INPUT OUTPUT NAME.

The page served at /ui is kept as a plain HTML file in the tree and built into the
binary with this, so the gateway needs no files at run time."""
import sys


def main() -> None:
    src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, "rb").read()
    lines = []
    for i in range(0, len(data), 20):
        lines.append("    " + ",".join(str(b) for b in data[i:i + 20]) + ",")
    with open(out, "w", encoding="ascii") as f:
        f.write("// Generated from " + src.split("/")[-1] + " by embed.py; do not edit.\n")
        f.write("#include <string_view>\n\nnamespace sluice::admin {\nnamespace {\n")
        f.write("constexpr unsigned char kBytes[] = {\n" + "\n".join(lines) + "\n    0};\n}  // namespace\n")
        f.write("std::string_view " + name + "() {\n  return {reinterpret_cast<const char*>(kBytes), sizeof(kBytes) - 1};\n}\n")
        f.write("}  // namespace sluice::admin\n")


if __name__ == "__main__":
    main()
