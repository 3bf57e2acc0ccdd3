using System.Text.Json;
using Refit;

namespace OrleansWeCom.ContainerHost.Api;

/// <summary>
/// The openAPI of one container host (seed 000), relative to <c>http://{host}/gnapi/open</c>.
/// Every call throws <see cref="ContainerHostException"/> when the host cannot be reached, answers a non-2xx status
/// or answers an envelope whose <c>code</c> is not 0; a returned envelope always has <c>code</c> 0.
/// </summary>
public interface IContainerHostApi
{
    // ---- Life cycle ----

    /// <summary>Creates a fresh WeCom client (new login environment, QR code to scan).</summary>
    [RetryOnlyIfUnsent]
    [Post("/container/create")]
    Task<HostResponse<CreatedContainer>> CreateContainerAsync([Body] CreateContainerRequest request, CancellationToken cancellationToken = default);

    /// <summary>Submits the 6-digit code asked for by <c>qrcode_status_msg</c> status 10; a code may be single-use.</summary>
    [RetryOnlyIfUnsent]
    [Post("/container/verify")]
    Task<HostResponse<VerifyResult>> VerifyContainerAsync([Body] VerifyContainerRequest request, CancellationToken cancellationToken = default);

    /// <summary>Frees the client's memory and CPU, keeps its cache: <c>start</c> logs in again without a scan.</summary>
    [Post("/container/stop")]
    Task<HostResponse> StopContainerAsync([Body] HostNamesRequest request, CancellationToken cancellationToken = default);

    [Post("/container/start")]
    Task<HostResponse> StartContainerAsync([Body] HostNamesRequest request, CancellationToken cancellationToken = default);

    /// <summary>Logs out and deletes the cache: the next login needs a scan.</summary>
    [Post("/container/remove")]
    Task<HostResponse> RemoveContainerAsync([Body] HostNamesRequest request, CancellationToken cancellationToken = default);

    [Post("/container/restart")]
    Task<HostResponse> RestartContainerAsync([Body] HostNamesRequest request, CancellationToken cancellationToken = default);

    /// <summary>WeCom accounts on the host; <paramref name="isOnline"/> false (not the default) lists every state.</summary>
    [Get("/inner/user/wx/list")]
    Task<HostResponse<IReadOnlyList<WeComAccount>>> GetWeComAccountsAsync(
        [AliasAs("userId")] string? userId = null,
        [AliasAs("IsOnline")] bool? isOnline = null,
        [AliasAs("HostName")][Query(CollectionFormat.Multi)] IEnumerable<string>? hostNames = null,
        CancellationToken cancellationToken = default);

    [Get("/inner/user/list")]
    Task<HostResponse<IReadOnlyList<HostUser>>> GetHostUsersAsync(CancellationToken cancellationToken = default);

    [Get("/container/memory")]
    Task<HostResponse<IReadOnlyList<ContainerMemory>>> GetContainerMemoryAsync(CancellationToken cancellationToken = default);

    // ---- Sends: never repeated once they may have reached the host ----

    /// <summary>
    /// Any send by its seed path (<c>msg/text</c>, <c>miniProgram/send</c>, …) with a body already in the seed's JSON:
    /// the outbox stores validated bodies as text so that every kind travels the same way.
    /// </summary>
    [RetryOnlyIfUnsent]
    [Post("/{**path}")]
    Task<HostResponse<SendResult>> SendRawAsync(string path, [Body] HttpContent body, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/text")]
    Task<HostResponse<SendResult>> SendTextAsync([Body] TextMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/roomAt")]
    Task<HostResponse<SendResult>> SendRoomAtAsync([Body] RoomAtMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/image")]
    Task<HostResponse<SendResult>> SendImageAsync([Body] FileMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/file")]
    Task<HostResponse<SendResult>> SendFileAsync([Body] FileMessage message, CancellationToken cancellationToken = default);

    /// <summary>A gif above 5 MB must go as a file.</summary>
    [RetryOnlyIfUnsent, Post("/msg/gif")]
    Task<HostResponse<SendResult>> SendGifAsync([Body] FileMessage message, CancellationToken cancellationToken = default);

    /// <summary>Videos above 50 MB are dropped by WeCom.</summary>
    [RetryOnlyIfUnsent, Post("/msg/video")]
    Task<HostResponse<SendResult>> SendVideoAsync([Body] FileMessage message, CancellationToken cancellationToken = default);

    /// <summary>12 kHz, at most 60 s; the seed warns that frequent use risks a ban.</summary>
    [RetryOnlyIfUnsent, Post("/msg/voice")]
    Task<HostResponse<SendResult>> SendVoiceAsync([Body] FileMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/personCard")]
    Task<HostResponse<SendResult>> SendPersonCardAsync([Body] PersonCardMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/link")]
    Task<HostResponse<SendResult>> SendLinkAsync([Body] LinkMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/miniProgram")]
    Task<HostResponse<SendResult>> SendMiniProgramAsync([Body] MiniProgramMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/videoNum")]
    Task<HostResponse<SendResult>> SendVideoNumAsync([Body] VideoNumMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/msg/quote")]
    Task<HostResponse<SendResult>> SendQuoteAsync([Body] QuoteMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/miniProgram/send")]
    Task<HostResponse<SendResult>> SendMiniProgramByIdAsync([Body] MiniProgramByIdMessage message, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/videonum/send")]
    Task<HostResponse<SendResult>> SendVideoNumByIdAsync([Body] VideoNumByIdMessage message, CancellationToken cancellationToken = default);

    /// <summary>Confirms pending mass messages (to customers); sends the latest, so it is not repeated either.</summary>
    [RetryOnlyIfUnsent, Post("/batchmsg/confirm")]
    Task<HostResponse> ConfirmBatchMessageAsync([Body] BatchMessageConfirmRequest request, CancellationToken cancellationToken = default);

    [Get("/miniprogram/list")]
    Task<HostResponse<IReadOnlyList<SavedMiniProgram>>> GetSavedMiniProgramsAsync(CancellationToken cancellationToken = default);

    [Get("/videonum/list")]
    Task<HostResponse<IReadOnlyList<SavedVideoNum>>> GetSavedVideoNumsAsync(CancellationToken cancellationToken = default);

    /// <summary>Uploads a file (form field <c>file</c>); <c>data</c> is a host-relative path usable as a send's <c>fileUrl</c>.</summary>
    [Multipart]
    [Post("/file/upload")]
    Task<HostResponse<string>> UploadFileAsync([AliasAs("file")] StreamPart file, CancellationToken cancellationToken = default);

    // ---- Any directory call by its seed path, its data passed through as JSON ----

    [Get("/{**path}")]
    Task<HostResponse<JsonElement>> GetRawAsync(string path, [Query] IDictionary<string, string> query, CancellationToken cancellationToken = default);

    /// <summary>Some of these create things (rooms, friend requests, notices): never repeated once they may have reached the host.</summary>
    [RetryOnlyIfUnsent, Post("/{**path}")]
    Task<HostResponse<JsonElement>> PostRawAsync(string path, [Body] HttpContent body, CancellationToken cancellationToken = default);

    [Put("/{**path}")]
    Task<HostResponse<JsonElement>> PutRawAsync(string path, [Body] HttpContent body, CancellationToken cancellationToken = default);

    [Delete("/{**path}")]
    Task<HostResponse<JsonElement>> DeleteRawAsync(string path, [Body] HttpContent body, CancellationToken cancellationToken = default);

    // ---- Contacts ----

    [Get("/contact/external/list")]
    Task<HostResponse<IReadOnlyList<Contact>>> GetExternalContactsAsync([AliasAs("wxId")] string wxId, CancellationToken cancellationToken = default);

    [Get("/contact/extendinfo")]
    Task<HostResponse<ContactExtendInfo>> GetContactExtendInfoAsync(
        [AliasAs("wxId")] string wxId, [AliasAs("ContactId")] string contactId, CancellationToken cancellationToken = default);

    [Get("/contact/inner/list")]
    Task<HostResponse<IReadOnlyList<Contact>>> GetInnerContactsAsync([AliasAs("wxId")] string wxId, CancellationToken cancellationToken = default);

    [Put("/contact/remark")]
    Task<HostResponse> SetContactRemarkAsync([Body] ContactRemarkRequest request, CancellationToken cancellationToken = default);

    [Put("/contact/desc")]
    Task<HostResponse> SetContactDescAsync([Body] ContactDescRequest request, CancellationToken cancellationToken = default);

    [Put("/contact/phone")]
    Task<HostResponse> SetContactPhonesAsync([Body] ContactPhoneRequest request, CancellationToken cancellationToken = default);

    [Post("/contact/remove")]
    Task<HostResponse> RemoveContactAsync([Body] ContactRemoveRequest request, CancellationToken cancellationToken = default);

    [Post("/contact/external/query")]
    Task<HostResponse<IReadOnlyList<Contact>>> QueryExternalContactsAsync([Body] ContactQueryRequest request, CancellationToken cancellationToken = default);

    /// <summary>Looks a phone number up.</summary>
    [Get("/contact/search")]
    Task<HostResponse<ContactSearchResult>> SearchContactAsync(
        [AliasAs("wxId")] string wxId, [AliasAs("keyword")] string keyword, CancellationToken cancellationToken = default);

    /// <summary>Sends a friend request to a searched contact; a repeat would be a second request.</summary>
    [RetryOnlyIfUnsent, Post("/contact/search/add")]
    Task<HostResponse> AddSearchedContactAsync([Body] ContactSearchAddRequest request, CancellationToken cancellationToken = default);

    // ---- Id conversions ----

    [Post("/contact/externalUserId")]
    Task<HostResponse<ExternalUserIdResult>> GetExternalUserIdAsync([Body] ContactRef request, CancellationToken cancellationToken = default);

    /// <summary>As <see cref="GetExternalUserIdAsync"/> from the host's database only; empty when unknown.</summary>
    [Post("/contact/externalUserIdFromDb")]
    Task<HostResponse<ExternalUserIdResult>> GetExternalUserIdFromDbAsync([Body] ContactRef request, CancellationToken cancellationToken = default);

    [Post("/contact/contactUserId")]
    Task<HostResponse<ContactUserIdResult>> GetContactUserIdAsync([Body] ExternalUserRef request, CancellationToken cancellationToken = default);

    [Post("/contact/contactUserIdFromDb")]
    Task<HostResponse<ContactUserIdResult>> GetContactUserIdFromDbAsync([Body] ExternalUserRef request, CancellationToken cancellationToken = default);

    [Post("/group/externalRoomId")]
    Task<HostResponse<ExternalRoomIdResult>> GetExternalRoomIdAsync([Body] RoomRef request, CancellationToken cancellationToken = default);

    [Post("/group/RoomId")]
    Task<HostResponse<RoomIdResult>> GetRoomIdAsync([Body] ExternalRoomRef request, CancellationToken cancellationToken = default);

    /// <summary>At least one of <paramref name="contactUserId"/> and <paramref name="externalUserId"/> is required.</summary>
    [Get("/contact/relation")]
    Task<HostResponse<ContactRelation>> GetContactRelationAsync(
        [AliasAs("wxId")] string wxId,
        [AliasAs("ContactUserId")] string? contactUserId = null,
        [AliasAs("ExternalUserId")] string? externalUserId = null,
        CancellationToken cancellationToken = default);

    [Post("/contact/relation/sync")]
    Task<HostResponse<ContactRelation>> SyncContactRelationAsync([Body] ContactRelationSyncRequest request, CancellationToken cancellationToken = default);

    // ---- Groups ----

    [RetryOnlyIfUnsent, Post("/group")]
    Task<HostResponse<CreatedGroup>> CreateGroupAsync([Body] CreateGroupRequest request, CancellationToken cancellationToken = default);

    [Get("/group/list")]
    Task<HostResponse<IReadOnlyList<GroupSummary>>> GetGroupsAsync([AliasAs("wxId")] string wxId, CancellationToken cancellationToken = default);

    [Put("/group/name")]
    Task<HostResponse> SetGroupNameAsync([Body] GroupNameRequest request, CancellationToken cancellationToken = default);

    [Get("/group/member/list")]
    Task<HostResponse<GroupMemberPage>> GetGroupMembersAsync(
        [AliasAs("wxId")] string wxId, [AliasAs("conversationId")] string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Internal rooms accept employees only; the host answers success either way.</summary>
    [Post("/group/member")]
    Task<HostResponse> AddGroupMembersAsync([Body] GroupMembersRequest request, CancellationToken cancellationToken = default);

    /// <summary>Owner or admin only; the host answers success either way.</summary>
    [Delete("/group/member")]
    Task<HostResponse> RemoveGroupMembersAsync([Body] GroupMembersRequest request, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/group/member/contact")]
    Task<HostResponse> AddGroupMemberAsContactAsync([Body] GroupMemberContactRequest request, CancellationToken cancellationToken = default);

    [RetryOnlyIfUnsent, Post("/group/notice")]
    Task<HostResponse> PublishGroupNoticeAsync([Body] GroupNoticeRequest request, CancellationToken cancellationToken = default);

    // ---- Labels ----

    [Get("/label/all")]
    Task<HostResponse<IReadOnlyList<Label>>> GetLabelsAsync([AliasAs("wxId")] string wxId, CancellationToken cancellationToken = default);

    [Post("/label/contact/setlabel")]
    Task<HostResponse> SetContactLabelsAsync([Body] SetContactLabelsRequest request, CancellationToken cancellationToken = default);

    [Get("/label/contact/labels")]
    Task<HostResponse<IReadOnlyList<ContactLabel>>> GetContactLabelsAsync(
        [AliasAs("wxId")] string wxId, [AliasAs("contactUserId")] string contactUserId, CancellationToken cancellationToken = default);

    [Post("/label/contact/search")]
    Task<HostResponse<IReadOnlyList<LabeledContact>>> SearchContactsByLabelAsync([Body] LabelSearchRequest request, CancellationToken cancellationToken = default);

    [Get("/label/contacts")]
    Task<HostResponse<IReadOnlyList<Contact>>> GetLabelContactsAsync(
        [AliasAs("labelId")] string labelId, [AliasAs("wxId")] string wxId, CancellationToken cancellationToken = default);
}
