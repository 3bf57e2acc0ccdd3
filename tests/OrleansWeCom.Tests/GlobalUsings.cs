global using OrleansWeCom.Storage;
global using OrleansWeCom.Storage.Events;
global using OrleansWeCom.Storage.Inbox;
global using OrleansWeCom.Storage.Outbox;
global using OrleansWeCom.Storage.Schema;
global using OrleansWeCom.Storage.Sqlite;
global using OrleansWeCom.Host.Storage;
