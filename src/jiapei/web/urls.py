"""The kit's own pages: login, logout, the language switch, and the start page."""

from django.urls import path
from django.views.i18n import set_language

from jiapei.web import auth

app_name = "web"

urlpatterns = [
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("language/", set_language, name="set_language"),
    path("", auth.home, name="home"),
]
