# syntax=docker/dockerfile:1
# Build: a static binary, no cgo (the embedded database's SQLite is pure Go).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/lms ./cmd/lms && mkdir -p /out/data

# Run: distroless static, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/lms /lms
# A named volume mounted here starts with this directory's owner: nonroot.
COPY --from=build --chown=65532:65532 /out/data /data
ENV APP_ENV=production \
    PORT=4000 \
    DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 4000
USER nonroot:nonroot
ENTRYPOINT ["/lms"]
CMD ["serve"]
