#!/bin/sh
# Cross-checks `percore-tune io` with fio on the same directory: same file size, block sizes and queue depths.
# Usage: fio-compare.sh DIR [SEQ_WRITE_QD] [SEQ_READ_QD] [RAND_READ_QD] [RAND_WRITE_QD]
# (pass the depths percore-tune reported as best). Needs fio (apt-get install fio). Removes its test file.
set -eu
D=${1:?usage: fio-compare.sh DIR [qd...]}
SW=${2:-16} SR=${3:-16} RR=${4:-128} RW=${5:-32}
F="--directory=$D --filename=fio.test --size=480M --direct=1 --ioengine=io_uring --time_based --runtime=8"
trap 'rm -f "$D/fio.test"' EXIT INT TERM
show() { grep -E '^ +(READ|WRITE):|IOPS=|sync \(usec\)|50.00th|99.00th' || true; }
echo "== sequential write 128 KiB qd $SW"; fio --name=seqwrite --rw=write --bs=128k --iodepth="$SW" $F | show
echo "== sequential read 128 KiB qd $SR"; fio --name=seqread --rw=read --bs=128k --iodepth="$SR" $F | show
echo "== random read 4 KiB qd $RR"; fio --name=randread --rw=randread --bs=4k --iodepth="$RR" $F | show
echo "== random write 4 KiB qd $RW"; fio --name=randwrite --rw=randwrite --bs=4k --iodepth="$RW" $F | show
echo "== write 4 KiB + fdatasync"
fio --name=fdatasync --rw=write --bs=4k --ioengine=sync --fdatasync=1 --directory="$D" --filename=fio.test \
    --size=1M --direct=1 --time_based --runtime=6 | show
