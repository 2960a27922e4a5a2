/**
 * tsvisor-test/nginx:1.0: Debian's nginx as installed on this machine
 * (scripts/setup-test-deps.sh), with the shared libraries and loader ldd
 * names, on a busybox root (a shell for kubectl exec). A configuration of
 * our own: one worker as www-data, in the foreground, errors to stderr, no
 * access log, port 80 serving INDEX_HTML; /hostname answers the host name
 * (in a pod: the pod's name), so a client can tell which replica answered,
 * and /client the address the connection came from.
 */
import * as fs from 'node:fs';
import { AMD64, makeLayer, makePlatformImage, singleImage, type TestImage } from './oci';
import { busyboxRoot, completeTree, dirs, file, sharedLibraryFiles } from './rootfs';
import { PATH_ENV } from './testimages';

export const NGINX_IMAGE = { repository: 'tsvisor-test/nginx', tag: '1.0' };
const NGINX = '/usr/sbin/nginx';

export const INDEX_HTML = '<!DOCTYPE html>\n<html><body><h1>tsvisor-test nginx</h1></body></html>\n';

/**
 * The compiled-in paths of Debian's build (`nginx -V`) are kept: the
 * configuration at /etc/nginx/nginx.conf, temporary files below
 * /var/lib/nginx (nginx creates the last component only), the pid in /run.
 */
const NGINX_CONF = `user www-data;
worker_processes 1;
daemon off;
error_log stderr notice;
pid /run/nginx.pid;

events {
    worker_connections 64;
}

http {
    access_log off;
    types {
        text/html html;
        text/plain txt;
    }
    default_type application/octet-stream;

    server {
        listen 80;
        root /usr/share/nginx/html;
        index index.html;

        location = /hostname {
            default_type text/plain;
            return 200 "$hostname\\n";
        }
        location = /client {
            default_type text/plain;
            return 200 "$remote_addr\\n";
        }
    }
}
`;

/** Unpacked entries of the image's single layer. */
export function nginxRoot(): ReturnType<typeof completeTree> {
  return completeTree([
    ...busyboxRoot(),
    ...dirs(['run', 'var/lib/nginx', 'var/log/nginx']),
    file(NGINX.slice(1), fs.readFileSync(NGINX), 0o755),
    ...sharedLibraryFiles(NGINX),
    file('etc/nginx/nginx.conf', NGINX_CONF),
    file('usr/share/nginx/html/index.html', INDEX_HTML),
  ]);
}

export function nginxImage(): TestImage {
  return singleImage(
    NGINX_IMAGE.repository,
    NGINX_IMAGE.tag,
    makePlatformImage('oci', AMD64, { Env: [PATH_ENV], Cmd: [NGINX], ExposedPorts: ['80/tcp'] }, [makeLayer(nginxRoot(), 'oci')]),
  );
}
