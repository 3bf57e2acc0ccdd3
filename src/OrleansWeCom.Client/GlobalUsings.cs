global using Orleans;
global using OrleansWeCom.Callbacks;
