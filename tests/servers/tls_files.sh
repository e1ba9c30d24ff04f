#!/usr/bin/env bash
# Makes the files of an Engine behind TLS, for tests only, in DIR: a CA
# (ca.pem, ca-key.pem), a server certificate for 127.0.0.1
# (server-cert.pem, server-key.pem) and a client certificate (cert.pem,
# key.pem), as dockerd --tlsverify and a docker client use them.
#
#   tls_files.sh DIR
set -euo pipefail
cd "$1"
quiet() { "$@" 2>/dev/null; }
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
  -keyout ca-key.pem -out ca.pem
sign() {  # NAME-OF-KEY NAME-OF-CERT SUBJECT EXTENSIONS
  quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1" -out request.csr
  printf '%b' "$4" >extensions.txt
  quiet openssl x509 -req -in request.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -days 2 -extfile extensions.txt -out "$2"
  rm request.csr extensions.txt
}
sign server-key.pem server-cert.pem 127.0.0.1 \
  'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'
sign key.pem cert.pem client 'extendedKeyUsage=clientAuth\n'
