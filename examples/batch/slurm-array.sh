#!/bin/bash
# examples/batch/slurm-array.sh: a campaign's letters split across a Slurm
# job array. Each array task renders one shard of the records (--shard K/N):
# the union of the shards is exactly what one run would write, byte for
# byte, with the same file names. A task that dies or is requeued picks up
# where it stopped (--resume): nothing is written twice, nothing is lost.
#
#   sbatch --array=1-8 examples/batch/slurm-array.sh
#
# Outputs go to one shared folder; each shard keeps its own journal
# (.casepack-journal-K-of-N) and report (report-K-of-N.json) there.
#SBATCH --job-name=casepack-letters
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --mem=256M
#SBATCH --time=01:00:00
#SBATCH --requeue
#SBATCH --output=casepack-letters-%A_%a.log
set -euo pipefail

TEMPLATE=${TEMPLATE:-examples/batch/letter.txt}
RECORDS=${RECORDS:-examples/batch/recipients.csv}
COMMON=${COMMON:-examples/batch/campaign.yaml}
OUT=${OUT:-letters}

# Array indices 1..N are the shards; N is the size of the array.
K=$SLURM_ARRAY_TASK_ID
N=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - SLURM_ARRAY_TASK_MIN + 1))}

exec casepack batch "$TEMPLATE" --records "$RECORDS" -d "$COMMON" -o "$OUT" \
    --shard "$K/$N" -j "${SLURM_CPUS_PER_TASK:-1}" --resume \
    --name '{{@number}}-{{recipient.last_name}}' --progress json
