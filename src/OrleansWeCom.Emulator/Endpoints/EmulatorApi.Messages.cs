using System.Text.Json.Nodes;
using OrleansWeCom.Emulator.Api;
using OrleansWeCom.Emulator.Core;

namespace OrleansWeCom.Emulator.Endpoints;

internal static partial class EmulatorApi
{
    /// <summary>The <c>/msg/*</c> kinds of the seed.</summary>
    public static readonly string[] MessageKinds = ["text", "roomAt", "image", "file", "gif", "video", "voice", "personCard", "link", "miniProgram", "videoNum", "quote"];

    private static void MapMessages(RouteGroupBuilder open, EmulatorState state)
    {
        foreach (var kind in MessageKinds)
        {
            open.Api("POST", "/msg/" + kind, p => Sent(state.Send(kind, p)));
        }

        open.Api("POST", "/miniProgram/send", p => Sent(state.Send("miniProgram/send", p)));
        open.Api("POST", "/videonum/send", p => Sent(state.Send("videonum/send", p)));
    }

    private static IResult Sent(string msgId) => Envelope.Ok(new JsonObject { ["msgId"] = msgId });

    private static void MapFiles(WebApplication app, RouteGroupBuilder open, EmulatorState state)
    {
        open.MapPost("/file/upload", (Func<HttpContext, Task<IResult>>)(async context =>
        {
            if (!context.Request.HasFormContentType)
            {
                throw ApiException.BadRequest("file/upload needs multipart/form-data with a 'file' part");
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault() ?? throw ApiException.BadRequest("the form has no 'file' part");
            await using var stream = file.OpenReadStream();
            var path = await state.Files.SaveAsync(file.FileName, stream, context.RequestAborted);
            return Envelope.Ok(JsonValue.Create(path));
        }));

        app.MapGet("/gnapi/files/{**path}", (string path) =>
            state.Files.TryGet("/gnapi/files/" + path, out var file)
                ? Results.File(file.PhysicalPath, file.ContentType, enableRangeProcessing: true)
                : Envelope.Error(StatusCodes.Status404NotFound, $"no file /gnapi/files/{path}"));
    }
}
