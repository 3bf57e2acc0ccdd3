global using Orleans;
global using Orleans.Runtime;
global using Microsoft.Extensions.Logging;
global using OrleansWeCom.Storage.Events;
global using OrleansWeCom.Storage.Outbox;
