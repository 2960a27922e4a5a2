"""python3 -m http.server on 127.0.0.1 (a child process) fetched with urllib from this one."""
import hashlib
import subprocess
import sys
import urllib.error
import urllib.request

root, big = sys.argv[1], sys.argv[2]
p = subprocess.Popen([sys.executable, '-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
try:
    line = p.stdout.readline().decode()
    port = int(line.split(' port ')[1].split()[0])
    base = 'http://127.0.0.1:%d/' % port
    with urllib.request.urlopen(base + big) as r:
        body = r.read()
        print(r.status, r.headers['Content-Length'], len(body), hashlib.sha256(body).hexdigest())
    with urllib.request.urlopen(base) as r:
        print(r.status, sorted(l for l in r.read().decode().splitlines() if 'href' in l))
    try:
        urllib.request.urlopen(base + 'missing')
    except urllib.error.HTTPError as e:
        print('missing:', e.code)
finally:
    p.terminate()
    print('server exit', p.wait())
