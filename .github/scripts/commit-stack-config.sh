#!/usr/bin/env bash
# Commit Pulumi.<stack>.yaml after release/cutover/retire, so git keeps saying what runs and
# the next deploy from main never undoes the change (docs/blue-green.md "Workflows").
#
# usage: commit-stack-config.sh STACK MESSAGE
# env:   CONFIG_COMMIT_MODE  push (default): commit on top of BRANCH and push it;
#                            pull-request: push a branch, open a pull request and merge it
#                            (for a protected BRANCH; needs the gh CLI and pull-requests: write)
#        BRANCH              default main
#        GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID   from the workflow
#        REMOTE_URL          where to push (default: the repository over HTTPS with GITHUB_TOKEN)
set -euo pipefail
stack="${1:?usage: commit-stack-config.sh STACK MESSAGE}"
message="${2:?usage: commit-stack-config.sh STACK MESSAGE}"
file="Pulumi.${stack}.yaml"
mode="${CONFIG_COMMIT_MODE:-push}"
branch="${BRANCH:-main}"

if [[ "${mode}" != push && "${mode}" != pull-request ]]; then
  echo "::error::CONFIG_COMMIT_MODE must be push or pull-request (got '${mode}')"
  exit 2
fi
if git diff --quiet -- "${file}"; then
  echo "${file} unchanged: nothing to commit"
  exit 0
fi
remote="${REMOTE_URL:-https://x-access-token:${GITHUB_TOKEN}@github.com/${GITHUB_REPOSITORY}.git}"
git config user.name "${GIT_COMMITTER_NAME:-cloud-platform-bot}"
git config user.email "${GIT_COMMITTER_EMAIL:-cloud-platform-bot@users.noreply.github.com}"

if [[ "${mode}" == push ]]; then
  git add -- "${file}"
  git commit -q -m "${message}"
  # main may have moved while traffic shifted: replay this one-file commit on top and retry.
  for attempt in 1 2 3; do
    if git pull -q --rebase --autostash "${remote}" "${branch}" && git push -q "${remote}" "HEAD:${branch}"; then
      echo "committed ${file} to ${branch}: $(git rev-parse --short HEAD)"
      exit 0
    fi
    git rebase --abort 2>/dev/null || true
    sleep $((attempt * 5))
  done
  echo "::error::could not push ${file} to ${branch}; it is in this run's summary, commit it by hand"
  exit 1
fi

topic="stack-config/${stack}-${GITHUB_RUN_ID:-manual}"
git checkout -q -b "${topic}"
git add -- "${file}"
git commit -q -m "${message}"
git push -q "${remote}" "HEAD:${topic}"
url="$(gh pr create --base "${branch}" --head "${topic}" --title "${message}" \
  --body "Written by the ${GITHUB_WORKFLOW:-blue/green} workflow: ${file} as deployed.")"
gh pr merge "${url}" --merge --delete-branch
echo "merged ${url}"
