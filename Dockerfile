# syntax=docker/dockerfile:1
# outreachd in a container: built on the Rust image, run on slim Debian as a non-root user.
#
#   docker build -t outreachd .
#   docker run -p 8080:8080 -v outreachd-data:/var/lib/outreachd outreachd
#
# The default store is SQLite under /var/lib/outreachd: mount a volume there, as it holds the
# database and, unless OUTREACHD__SECURITY__ENCRYPTION_KEY is set, the generated key file that
# stored mailbox passwords need. For PostgreSQL set OUTREACHD__DATABASE__URL=postgres://... and
# OUTREACHD__SECURITY__ENCRYPTION_KEY. An admin's config file: mount it and set OUTREACHD_CONFIG.

# --- build -------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The cache mounts keep the registry and target/ between builds (a clean release build takes
# minutes); they are not part of the image, so the binary is copied out of target/.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin outreachd \
    && install -D -m 0755 target/release/outreachd /out/outreachd

# --- run ---------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: TLS to SMTP, IMAP and LLM servers. No curl or wget: see HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system outreachd \
    && useradd --system --gid outreachd --home-dir /var/lib/outreachd --shell /usr/sbin/nologin outreachd \
    && install -d -o outreachd -g outreachd -m 0750 /var/lib/outreachd
COPY --from=build /out/outreachd /usr/local/bin/outreachd
# The defaults and migrations are compiled into the binary; these copies are the reference an
# admin reads (every key with its default) and the schema an operator can inspect.
COPY config/ /usr/share/outreachd/config/
COPY migrations/ /usr/share/outreachd/migrations/

ENV OUTREACHD__SERVER__HOST=0.0.0.0 \
    OUTREACHD__SERVER__PORT=8080 \
    OUTREACHD__DAEMON__DATA_DIR=/var/lib/outreachd \
    OUTREACHD__DATABASE__URL=sqlite:///var/lib/outreachd/outreachd.db \
    OUTREACHD__LOG__FORMAT=json
USER outreachd
WORKDIR /var/lib/outreachd
VOLUME ["/var/lib/outreachd"]
EXPOSE 8080

# bash (always in Debian) speaks enough HTTP over /dev/tcp for a probe, so the image needs no
# extra package: healthy when /healthz answers 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${OUTREACHD__SERVER__PORT:-8080} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# SIGTERM (docker stop) drains in-flight sends within daemon.shutdown_timeout_seconds; give
# `docker stop -t` at least that long.
ENTRYPOINT ["/usr/local/bin/outreachd"]
CMD ["run"]
