#!/bin/sh
# Run the dpu-provider end-to-end test against an already built binary.
#   tools/testing/provider/run.sh user/build/bin/dpu-provider
# Builds nothing; needs python3-grpcio, python3-protobuf and protoc.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/dpu-provider" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/provider_test.py" "$1"
