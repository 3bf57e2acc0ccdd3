# syntax=docker/dockerfile:1
# OrleansWeCom host: tenant API, callbacks, MQTT and the Orleans silo in one process.
#   docker build -t orleans-wecom:0.1.0 .
#   docker run --rm -p 8080:8080 orleans-wecom:0.1.0      # embedded trial: SQLite + emulator
# In Kubernetes the chart (charts/orleans-wecom) switches it to PostgreSQL and real container hosts.

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files only, so that the package layer is reused while only code
# changes. Keep this list in step with the host's project references.
COPY Directory.Build.props Directory.Packages.props NuGet.config ./
COPY src/OrleansWeCom.Abstractions/OrleansWeCom.Abstractions.csproj src/OrleansWeCom.Abstractions/
COPY src/OrleansWeCom.ContainerHost/OrleansWeCom.ContainerHost.csproj src/OrleansWeCom.ContainerHost/
COPY src/OrleansWeCom.Emulator/OrleansWeCom.Emulator.csproj src/OrleansWeCom.Emulator/
COPY src/OrleansWeCom.Gateway/OrleansWeCom.Gateway.csproj src/OrleansWeCom.Gateway/
COPY src/OrleansWeCom.Grains/OrleansWeCom.Grains.csproj src/OrleansWeCom.Grains/
COPY src/OrleansWeCom.Host/OrleansWeCom.Host.csproj src/OrleansWeCom.Host/
COPY src/OrleansWeCom.Storage/OrleansWeCom.Storage.csproj src/OrleansWeCom.Storage/
RUN dotnet restore src/OrleansWeCom.Host/OrleansWeCom.Host.csproj
COPY src/ src/
RUN dotnet publish src/OrleansWeCom.Host/OrleansWeCom.Host.csproj -c Release --no-restore \
      -o /app /p:UseAppHost=false

FROM ${RUNTIME_IMAGE} AS final
WORKDIR /app
# The aspnet image's ASPNETCORE_HTTP_PORTS is not read by our host, which defaults to loopback:
# listen on every interface, on the port the chart probes.
ENV ASPNETCORE_URLS=http://+:8080
COPY --from=build /app ./
# SQLite's default file (./data) for the embedded trial; PostgreSQL deployments do not use it.
RUN mkdir -p /app/data && chown app:app /app/data
# The non-root user of the .NET images (UID 1654), by number so that runAsNonRoot can verify it.
USER 1654
EXPOSE 8080 11111 30000 1884
ENTRYPOINT ["dotnet", "OrleansWeCom.Host.dll"]
