#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
bench/tools/ftrace_report.py TRACE - a function_graph trace as a call tree:
for each caller, its callees by average inclusive time per call.  Every
traced call adds the tracer's own overhead (about 1 us under TCG), so
compare siblings, and read deep trees with that in mind.
"""
import collections
import re
import sys

LINE = re.compile(r'\s*\d+\)\s+(?:[+!#*@$]\s+)?([\d.]+)?\s*(?:us)?\s*\|(\s*)(.*)$')


def main():
    inc = collections.defaultdict(float)
    cnt = collections.Counter()
    stack = []
    for line in open(sys.argv[1]):
        m = LINE.match(line)
        if not m:
            continue
        dur = float(m.group(1)) if m.group(1) else None
        txt = m.group(3).strip()
        if txt.endswith('{'):
            stack.append(re.sub(r'\(\)\s*\{$', '', txt).replace(' [sipk]', ''))
        elif txt.startswith('}'):
            if stack:
                name = stack.pop()
                if dur is not None:
                    key = (stack[-1] if stack else '-', name)
                    inc[key] += dur
                    cnt[key] += 1
        elif txt.endswith(';') and dur is not None:
            name = re.sub(r'\(\);$', '', txt).replace(' [sipk]', '')
            key = (stack[-1] if stack else '-', name)
            inc[key] += dur
            cnt[key] += 1
    callers = collections.defaultdict(list)
    for (p, n), t in inc.items():
        if cnt[(p, n)] >= 20 and not re.search(r'rcu_read|irq_enter|irq_exit|sysvec|hrtimer|idle_cpu', n):
            callers[p].append((t / cnt[(p, n)], cnt[(p, n)], n))
    for p in sorted(callers):
        print(f'{p}:')
        for avg, c, n in sorted(callers[p], reverse=True)[:12]:
            print(f'    {n:40s} {avg:9.2f} us  ({c} calls)')


if __name__ == '__main__':
    main()
