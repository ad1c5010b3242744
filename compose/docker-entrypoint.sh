#!/bin/sh
# Entrypoint of both images: docker-entrypoint.sh tweet-source|tweet-sink [flags...]
# The binaries take their whole configuration from the environment (TWEET_SOURCE_* / TWEET_SINK_*
# twins of every flag, secrets from X_BEARER_TOKEN, ES_USERNAME, ES_PASSWORD, ES_API_KEY or *_FILE).
set -eu

# docker compose hands over an empty value for every variable left unset in .env; an empty setting
# means "not set" here, so that the binary's default applies (an empty number would not parse).
for name in $(env | sed -n 's/^\(\(TWEET_SOURCE\|TWEET_SINK\)_[A-Z0-9_]*\|X_BEARER_TOKEN\(_FILE\)\?\|ES_\(USERNAME\|PASSWORD\|API_KEY\)\(_FILE\)\?\)=$/\1/p'); do
  unset "$name"
done

# tweet-source without an explicit mode: the real X API when a token is there (the filtered stream
# when rules are configured, recent search otherwise), generated tweets when there is none, so that
# `docker compose up` shows a live dashboard without any account.
if [ "${1:-}" = tweet-source ] && [ -z "${TWEET_SOURCE_MODE:-}" ]; then
  if [ -n "${X_BEARER_TOKEN:-}${X_BEARER_TOKEN_FILE:-}" ]; then
    if [ -n "${TWEET_SOURCE_RULE:-}${TWEET_SOURCE_RULES_FILE:-}" ]; then
      TWEET_SOURCE_MODE=stream
    else
      TWEET_SOURCE_MODE=search
    fi
  else
    TWEET_SOURCE_MODE=synthetic
  fi
  export TWEET_SOURCE_MODE
  echo "docker-entrypoint: TWEET_SOURCE_MODE=$TWEET_SOURCE_MODE (X_BEARER_TOKEN $( [ "$TWEET_SOURCE_MODE" = synthetic ] && echo 'not set: generated tweets' || echo set))" >&2
fi

exec "$@"
