from django.contrib.auth import views as auth_views
from django.urls import path

from ioc.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("otp/setup/", views.otp_setup, name="otp-setup"),
    path("otp/verify/", views.otp_verify, name="otp-verify"),
]
