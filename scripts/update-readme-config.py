# Replaces the README configuration table with the output of scripts/config-table.mjs (after a build).
import subprocess
table = subprocess.run(['node', 'scripts/config-table.mjs'], capture_output=True, text=True, check=True).stdout.strip('\n')
s = open('README.md').read()
start = s.index('| key | env var | default | meaning |')
end = s.index('\n\n', start)
open('README.md', 'w').write(s[:start] + table + s[end:])
