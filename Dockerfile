# meterctl in a container: a static (musl) binary on an empty base image, run as a non-root user.
#
#   docker build -t meterctl .
#   docker run --rm -v "$PWD:/work" -w /work meterctl validate meters/
#
# The builder is Alpine's Rust image (musl is its C library, so ring's C and assembly build for
# musl with the image's own gcc); the result is one static binary, CA certificates for HTTPS to
# Zuora (rustls reads the webpki roots compiled in, the file is there for tools that look) and an
# /etc/passwd line for the unprivileged user.
FROM rust:1.88-alpine AS build
# Build-stage packages only (nothing of them reaches the image): the newest is what we want.
# hadolint ignore=DL3018
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY schemas ./schemas
COPY benches ./benches
RUN cargo build --locked --release \
    && strip target/release/meterctl \
    && echo "meterctl:x:10001:10001:meterctl:/work:/sbin/nologin" > /passwd

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /passwd /etc/passwd
COPY --from=build /src/target/release/meterctl /usr/local/bin/meterctl
ENV PATH=/usr/local/bin
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["meterctl"]
CMD ["--help"]
