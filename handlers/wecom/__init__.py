"""The WeCom (企业微信) platform: wechatpy callbacks in, app chats and app messages out.

`web.register` mounts `/wecom/callback` on a Flask app and returns the bot it built;
`chat.WeComChat` implements the Chat port; `api.WeComClient` is wechatpy's client with
every URL (token fetch included) under `WECOM_API_URL`; `numbered` lets people answer the bot's
questions with a bare `1`, `2`, … in their 1:1 chat with the app.
"""
