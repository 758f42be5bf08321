# Multi-stage build: the SDK image builds, the ASP.NET runtime image runs as a non-root user.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Policy/Policy.csproj src/Policy/
COPY src/Authn/Authn.csproj src/Authn/
COPY src/Server/Server.csproj src/Server/
RUN dotnet restore src/Server/Server.csproj
COPY src/ src/
RUN dotnet publish src/Server/Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
ENV SECRETS_DATA_DIR=/data \
    SECRETS_URLS=http://0.0.0.0:8080
EXPOSE 8080
VOLUME ["/data"]
# The server's own `health` subcommand GETs /health/ready on SECRETS_URLS (no curl in the image). The start period
# covers the wait for PostgreSQL at start-up (SECRETS_DATABASE_WAIT_SECONDS, 60 s by default).
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["dotnet", "Secrets.Server.dll", "health"]
ENTRYPOINT ["dotnet", "Secrets.Server.dll"]
CMD ["serve"]
