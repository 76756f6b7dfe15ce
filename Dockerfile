# Build a static azvalidate and ship it alone on a minimal, non-root image.
# Base images are pinned by version tag; pin by digest too (docker pull, then
# docker inspect) where your registry policy asks for it.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/azvalidate .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/azvalidate /usr/local/bin/azvalidate
USER nonroot:nonroot
WORKDIR /data
ENTRYPOINT ["azvalidate"]
CMD ["--help"]
