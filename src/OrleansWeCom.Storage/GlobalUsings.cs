global using System.Data.Common;
global using Microsoft.Extensions.Logging;
